// A source that cannot be read at all (no such path, HTTP 404, not gzip). `permanent` says a retry will not help.
export class IngestError extends Error {
  readonly permanent: boolean;
  constructor(message: string, permanent = true) {
    super(message);
    this.name = 'IngestError';
    this.permanent = permanent;
  }
}
