/** How zps's messages say sizes and counts: the library's errors and the command's output alike. */

/** "512 B", "1.5 KiB", "1 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1).replace(/\.0$/, '')} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1).replace(/\.0$/, '')} GiB`;
}

/** "1 message", "3 messages", "2 batches". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : word.endsWith('ch') ? 'es' : 's'}`;
}
