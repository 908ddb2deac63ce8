// Deletes every key under a queue prefix (`<prefix>:...`), with SCAN so a shared Redis is never blocked.
import { Redis } from 'ioredis';

export async function dropKeys(prefix: string, url = 'redis://127.0.0.1:6379'): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}
