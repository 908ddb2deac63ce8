// Starts queue/analyzer-thread.ts in a worker thread when kbot runs from its sources: a thread does not get
// the main thread's tsx hooks, so it registers its own.
import { register } from 'tsx/esm/api';

register();
await import('./analyzer-thread.ts');
