/**
 * Request-field checks shared by handlers; each failure names the field's path and quotes at
 * most a short prefix of the bad value.
 */
import { InvalidArgumentError, quoteValue } from "../../domain/index.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requireUuid(field: string, value: string): string {
  if (value === "") throw new InvalidArgumentError(field, "is required");
  if (!UUID.test(value))
    throw new InvalidArgumentError(field, `${quoteValue(value)} is not a UUID`);
  return value.toLowerCase();
}

export function requireText(field: string, value: string, maxLength = 255): string {
  const trimmed = value.trim();
  if (trimmed === "") throw new InvalidArgumentError(field, "is required");
  if (trimmed.length > maxLength)
    throw new InvalidArgumentError(field, `is longer than ${maxLength} characters`);
  return trimmed;
}

export function requireTags(field: string, tags: readonly string[]): string[] {
  tags.forEach((tag, index) => {
    requireText(`${field}[${index}]`, tag);
  });
  return tags.map((tag) => tag.trim());
}
