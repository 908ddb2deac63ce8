// A progress bar on stderr for simulator runs longer than a second (and only on a terminal).
import cliProgress from 'cli-progress';

export function progressReporter(stream: NodeJS.WriteStream = process.stderr) {
  const start = performance.now();
  let bar: cliProgress.SingleBar | null = null;
  return {
    update: (p: { states: number; transitions: number; ms: number }) => {
      if (!stream.isTTY) return;
      if (!bar && performance.now() - start > 1000) {
        bar = new cliProgress.SingleBar(
          { stream, format: 'kbot sim [{bar}] {value} states, {transitions} transitions', clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.max(p.states * 2, 1000), p.states, { transitions: p.transitions });
      }
      if (bar) {
        if (p.states > bar.getTotal()) bar.setTotal(p.states * 2);
        bar.update(p.states, { transitions: p.transitions });
      }
    },
    stop: () => bar?.stop(),
  };
}
