import { useState } from 'react';

/** A series cover through the image proxy, with a plain placeholder when missing or broken. */
export function Cover({ src, className }: { src: string | null; className?: string }) {
  const [failedSrc, setFailedSrc] = useState<string | null>(null);
  const classes = `cover ${className ?? ''}`.trim();
  if (!src || failedSrc === src) {
    return <div className={`${classes} cover-missing`} aria-hidden="true" />;
  }
  return (
    <img
      className={classes}
      src={src}
      alt=""
      loading="lazy"
      decoding="async"
      onError={() => setFailedSrc(src)}
    />
  );
}
