import { useHealth } from '../api/health';
import type { Health } from '../api/types';

type Level = 'ok' | 'degraded' | 'unreachable' | 'checking';

function problems(health: Health): string {
  const parts: string[] = [];
  if (health.redis && health.redis !== 'ok') parts.push(`redis: ${health.redis}`);
  if (health.consumet && health.consumet !== 'ok') parts.push(`source: ${health.consumet}`);
  if (health.worker_status.state !== 'ok' && health.worker_status.message) parts.push(health.worker_status.message);
  return parts.join('; ');
}

/** Green ok / amber degraded / red unreachable, from /api/health polled every 15 s. */
export function HealthDot() {
  const { data, isError, isPending } = useHealth();
  let level: Level;
  if (isError) level = 'unreachable';
  else if (isPending) level = 'checking';
  else level = data.status;
  const details = level === 'degraded' && data ? problems(data) : '';
  const label = `Server health: ${level}`;
  return (
    <span className="health" title={details ? `${label} (${details})` : label}>
      <span className={`health-dot health-${level}`} role="img" aria-label={label} />
      <span className="health-text">{level === 'ok' ? 'Online' : level === 'checking' ? '' : level}</span>
    </span>
  );
}
