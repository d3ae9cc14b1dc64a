export function ProgressBar({
  value,
  label,
  valueText,
  className,
}: {
  /** 0–100. */
  value: number;
  label: string;
  valueText?: string;
  className?: string;
}) {
  const clamped = Math.min(100, Math.max(0, Math.round(value)));
  return (
    <div
      className={`progress ${className ?? ''}`.trim()}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={clamped}
      aria-valuetext={valueText ?? `${clamped}%`}
    >
      <div className="progress-fill" style={{ width: `${clamped}%` }} />
    </div>
  );
}
