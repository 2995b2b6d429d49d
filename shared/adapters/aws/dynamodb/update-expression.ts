/**
 * Collects the names, values, SET/REMOVE clauses and conditions of one update. Every attribute
 * goes through a placeholder, so reserved words (`state`, `ttl`) need no special care.
 */
export class Expression {
  readonly conditions: string[] = [];
  readonly #names: Record<string, string> = {};
  readonly #values: Record<string, unknown> = {};
  readonly #sets: string[] = [];
  readonly #removes: string[] = [];

  name(attribute: string): string {
    const placeholder = `#${attribute}`;
    this.#names[placeholder] = attribute;
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = `:v${Object.keys(this.#values).length}`;
    this.#values[placeholder] = value;
    return placeholder;
  }

  /** `SET attribute = <operand>`; the operand is a placeholder or an expression built from them. */
  set(attribute: string, operand: string): void {
    this.#sets.push(`${this.name(attribute)} = ${operand}`);
  }

  remove(attribute: string): void {
    this.#removes.push(this.name(attribute));
  }

  /** Absent keys are left alone; `null` removes the attribute (nulls are never stored). */
  patch(attribute: string, value: unknown): void {
    if (value === undefined) return;
    if (value === null) this.remove(attribute);
    else this.set(attribute, this.value(value));
  }

  attributes(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    // DynamoDB rejects empty maps, so leave them out entirely.
    return {
      ...(Object.keys(this.#names).length > 0 ? { ExpressionAttributeNames: { ...this.#names } } : {}),
      ...(Object.keys(this.#values).length > 0 ? { ExpressionAttributeValues: { ...this.#values } } : {}),
    };
  }

  update(): {
    UpdateExpression: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    const clauses = [
      this.#sets.length > 0 ? `SET ${this.#sets.join(', ')}` : '',
      this.#removes.length > 0 ? `REMOVE ${this.#removes.join(', ')}` : '',
    ];
    return { UpdateExpression: clauses.filter((c) => c !== '').join(' '), ...this.attributes() };
  }
}
