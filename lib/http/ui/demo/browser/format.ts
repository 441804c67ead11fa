/** How the demo page words what Portico answers: sizes, table cells, Avro types. */

/** A byte count as B, KB, MB or GB (one decimal above bytes); empty when there is none. */
export function size(bytes: unknown): string {
  if (typeof bytes !== 'number') return '';
  const units = ['B', 'KB', 'MB', 'GB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i ? n.toFixed(1) : String(n)} ${units[i]}`;
}

/**
 * One HubDB or Avro value as text: `—` for nothing, lists joined, options and files by their
 * label, name or URL, HubDB booleans as Yes/No and dates (epoch milliseconds) as dates.
 */
export function cell(value: unknown, type?: string): string {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.length ? value.map((v) => cell(v)).join(', ') : '—';
  if (typeof value === 'object') {
    const named = value as { label?: unknown; name?: unknown; url?: unknown };
    if (named.label || named.name) return String(named.label || named.name);
    if (named.url) return String(named.url);
    return JSON.stringify(value);
  }
  if (type === 'BOOLEAN') return value ? 'Yes' : 'No';
  if ((type === 'DATE' || type === 'DATETIME') && typeof value === 'number') {
    const d = new Date(value);
    return type === 'DATE' ? d.toISOString().slice(0, 10) : d.toLocaleString();
  }
  return String(value);
}

/** An Avro schema type as a short name: `string`, `null | long`, `timestamp-millis`, `string[]`. */
export function typeName(type: unknown): string {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.map(typeName).join(' | ');
  if (type && typeof type === 'object') {
    const t = type as { logicalType?: string; type?: string; items?: unknown; name?: string };
    return t.logicalType || (t.type === 'array' ? `${typeName(t.items)}[]` : t.name || t.type || '');
  }
  return '?';
}
