/** Collects WHERE clauses and their parameters, numbering placeholders in order. */
export class Where {
  readonly params: unknown[] = [];
  readonly #clauses: string[] = [];

  /** Adds the value as the next parameter and returns its placeholder (`$n`). */
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** `clause` receives the placeholders of `values` in order. */
  and(clause: (...placeholders: string[]) => string, ...values: unknown[]): this {
    this.#clauses.push(clause(...values.map((v) => this.param(v))));
    return this;
  }

  /** Adds the clause only when the value is present. */
  andIf(value: unknown, clause: (placeholder: string) => string): this {
    if (value !== undefined && value !== null) this.and(clause, value);
    return this;
  }

  toString(): string {
    return this.#clauses.length === 0 ? 'TRUE' : this.#clauses.join(' AND ');
  }
}
