import { useHealth } from '../api/health';

/** Says so when no download worker runs: a download is accepted, then waits in the queue. */
export function WorkerNotice() {
  const { data } = useHealth();
  const workers = data?.worker_status;
  if (!workers || workers.state !== 'none' || !workers.message) return null;
  const text = workers.message.charAt(0).toUpperCase() + workers.message.slice(1);
  return (
    <p className="notice notice-warning" role="note">
      {text}.
    </p>
  );
}
