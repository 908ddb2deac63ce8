// Starts a SimPool worker from the TypeScript sources (a checkout without a current bundle, and the tests):
// registers tsx in the worker thread, then loads the worker itself.
import { register } from 'tsx/esm/api';

register();
await import('./sim-worker.ts');
