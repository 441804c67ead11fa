// Preloaded with `--import` (via NODE_OPTIONS, which refuses --cpu-prof) when BENCH_PROFILE_DIR is
// set: profiles the process with the inspector and writes a .cpuprofile when it exits. With
// BENCH_PROFILE_ON_SIGNAL=1 the profiler starts only on SIGUSR2, so start-up stays out of it.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  const start = () => session.post('Profiler.start');
  if (process.env.BENCH_PROFILE_ON_SIGNAL === '1') process.once('SIGUSR2', start);
  else start();
  process.once('exit', () => {
    // Same-thread inspector sessions answer synchronously, so this completes before exit.
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(join(dir, `portico-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
