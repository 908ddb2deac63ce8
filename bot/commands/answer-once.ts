// A refusal or a "did not understand" is answered once per command message: a message delivered twice (a
// re-polled archive, a redelivered webhook) finds its key taken and gets no second answer.
import type { Cluster, Redis } from 'ioredis';

export class AnswerOnce {
  constructor(private readonly redis: Redis | Cluster, private readonly prefix: string) {}

  /** True the first time for `key` (a Message-ID, a comment URL): the caller answers; false afterwards. */
  async claim(key: string): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}answered:${key}`, new Date().toISOString(), 'NX')) === 'OK';
  }

  /** Gives the key back when handling failed before anything was answered, so a retry handles it. */
  async release(key: string): Promise<void> {
    await this.redis.del(`${this.prefix}answered:${key}`);
  }
}
