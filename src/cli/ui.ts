import type { ChalkInstance } from 'chalk';
import type { Ora } from 'ora';
import type { Io } from './io.js';

/** The styles zps uses. */
export type Colors = Pick<ChalkInstance, 'dim' | 'cyan' | 'green' | 'bold'>;

const plain = (text: string) => text;
const NO_COLORS: Colors = { dim: plain, cyan: plain, green: plain, bold: plain } as unknown as Colors;

export interface Spinner {
  update(text: string): void;
  stop(): void;
}

export interface Ui {
  /** Colors for stdout (data) and stderr (diagnostics), each on only when that stream is a TTY. */
  out: Colors;
  err: Colors;
  stdoutIsTty: boolean;
  stderrIsTty: boolean;
  /** A spinner on stderr when it is a TTY, else nothing. */
  spinner(text: string): Spinner;
  /** Runs `work` with a spinner on stderr when it is a TTY; the text may be updated meanwhile. */
  spin<T>(text: string, work: (update: (text: string) => void) => Promise<T>): Promise<T>;
}

/**
 * NO_COLOR and --no-color turn colors off; FORCE_COLOR turns them on even off a TTY. chalk is
 * loaded only when some stream gets colors: scripts never pay for it.
 */
export async function createUi(noColor: boolean, io: Io): Promise<Ui> {
  const env = io.env;
  const stdoutIsTty = Boolean(io.stdout.isTTY);
  const stderrIsTty = Boolean(io.stderr.isTTY);
  const level = (isTty: boolean) => {
    if (noColor || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return 0;
    const force = env.FORCE_COLOR;
    if (force !== undefined) return force === '0' || force === 'false' ? 0 : Math.min(Number(force) || 1, 3);
    return isTty ? 1 : 0;
  };
  const levels = [level(stdoutIsTty), level(stderrIsTty)] as Array<0 | 1 | 2 | 3>;
  const { Chalk } = levels.some((l) => l > 0) ? await import('chalk') : { Chalk: undefined };
  const colors = (l: 0 | 1 | 2 | 3): Colors => (Chalk && l > 0 ? new Chalk({ level: l }) : NO_COLORS);
  const ui: Ui = {
    out: colors(levels[0]!),
    err: colors(levels[1]!),
    stdoutIsTty,
    stderrIsTty,
    spinner(text) {
      // A terminal that reports no width (some pseudo-terminals) makes ora's redraw loop forever.
      if (!stderrIsTty || !((io.stderr.columns ?? 0) > 0)) return { update() {}, stop() {} };
      let current = text;
      let spinner: Ora | undefined;
      let stopped = false;
      // The text shows at once; ora, loaded only when a person is watching, animates it once loaded.
      io.stderr.write(`${current}\r`);
      void import('ora').then(({ default: ora }) => {
        if (!stopped) spinner = ora({ text: current, stream: io.stderr, color: 'cyan' }).start();
      });
      return {
        update(next) {
          current = next;
          if (spinner) spinner.text = next;
        },
        stop() {
          if (!stopped && !spinner) io.stderr.write('\x1b[2K\r'); // clear the line it wrote
          stopped = true;
          spinner?.stop();
        },
      };
    },
    async spin(text, work) {
      const spinner = ui.spinner(text);
      try {
        return await work((next) => spinner.update(next));
      } finally {
        spinner.stop();
      }
    },
  };
  return ui;
}
