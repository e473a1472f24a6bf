// Its own module, apart from the YAML parser that raises it: the entry point checks for it before anything else
// loads, and the parser loads only when a catalog directory is read (start-up time).
export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}
