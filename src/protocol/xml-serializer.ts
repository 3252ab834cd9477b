/**
 * AWS Query protocol output: a typed output object → `<OpResponse><OpResult>…</OpResult><ResponseMetadata>`,
 * with element names, order and scalar formats taken from the output shape. Members the shape does not
 * declare are never written, so internal fields cannot leak. Errors: `<ErrorResponse>` as AWS sends them.
 */
import { listMemberName, type Operation, type Shape, type ShapeRef, type ServiceModel } from './model.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** AWS writes timestamps as ISO 8601 UTC with milliseconds. */
export function formatTimestamp(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  return String(value);
}

/**
 * A member whose target shape carries its own locationName (the model's PendingLogDeliveryConfigurationList
 * does) is named differently by the clients: botocore (AWS CLI, boto3) takes the shape's name, the
 * Smithy-generated SDKs (JS v3; Go v2, so Terraform, comes from the same Smithy model) the member's. Such a
 * member is written under both names, so every client reads it; clients ignore elements they do not model.
 * Undefined where the names agree, where the member names itself, for flattened lists (their items carry the
 * name), or where the alias is the name of another member.
 */
function shapeLevelName(
  members: [string, ShapeRef][],
  member: string,
  ref: ShapeRef,
  target: Shape,
): string | undefined {
  const alias = target.locationName;
  if (!alias || ref.locationName || alias === member || ref.flattened || target.flattened) return undefined;
  if (members.some(([other, otherRef]) => other !== member && (otherRef.locationName ?? other) === alias)) return undefined;
  return alias;
}

export class XmlSerializer {
  private readonly namespace: string;
  private readonly ec2: boolean;

  constructor(private readonly model: ServiceModel) {
    this.namespace = model.metadata.xmlNamespace ?? '';
    this.ec2 = model.metadata.protocol === 'ec2';
  }

  response(operation: Operation, output: unknown, requestId: string): string {
    if (this.ec2) {
      // EC2: no result wrapper, the request id first; operations without output say `<return>true</return>`.
      const parts: string[] = [`<${operation.name}Response xmlns="${this.namespace}"><requestId>${requestId}</requestId>`];
      if (operation.output) this.members(this.model.shapes[operation.output.shape], output, parts);
      else parts.push('<return>true</return>');
      parts.push(`</${operation.name}Response>`);
      return parts.join('');
    }
    const parts: string[] = [`<${operation.name}Response xmlns="${this.namespace}">`];
    if (operation.output) {
      const wrapper = operation.output.resultWrapper ?? `${operation.name}Result`;
      parts.push(`<${wrapper}>`);
      this.members(this.model.shapes[operation.output.shape], output, parts);
      parts.push(`</${wrapper}>`);
    }
    parts.push(`<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation.name}Response>`);
    return parts.join('');
  }

  error(code: string, message: string, type: 'Sender' | 'Receiver', requestId: string): string {
    if (this.ec2) {
      return (
        `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${escapeXml(code)}</Code>` +
        `<Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
      );
    }
    return (
      `<ErrorResponse xmlns="${this.namespace}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
    );
  }

  private members(shape: Shape, value: unknown, parts: string[]): void {
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    const members = Object.entries(shape.members ?? {});
    for (const [member, ref] of members) {
      const memberValue = record[member];
      if (memberValue === undefined || memberValue === null) continue;
      const target = this.model.shapes[ref.shape];
      const name = ref.locationName ?? member;
      this.element(name, target, memberValue, parts, ref.flattened);
      const alias = shapeLevelName(members, member, ref, target);
      if (alias) this.element(alias, target, memberValue, parts, ref.flattened);
    }
  }

  private element(name: string, shape: Shape, value: unknown, parts: string[], flattened?: boolean): void {
    switch (shape.type) {
      case 'structure':
        parts.push(`<${name}>`);
        this.members(shape, value, parts);
        parts.push(`</${name}>`);
        return;
      case 'list': {
        const items = Array.isArray(value) ? value : [];
        const itemShape = this.model.shapes[shape.member!.shape];
        if (flattened || shape.flattened) {
          for (const item of items) this.element(shape.member!.locationName ?? name, itemShape, item, parts);
          return;
        }
        if (items.length === 0) {
          parts.push(`<${name}/>`);
          return;
        }
        parts.push(`<${name}>`);
        const itemName = listMemberName(shape);
        for (const item of items) this.element(itemName, itemShape, item, parts);
        parts.push(`</${name}>`);
        return;
      }
      case 'map': {
        parts.push(`<${name}>`);
        for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
          parts.push(`<entry><key>${escapeXml(key)}</key>`);
          this.element('value', this.model.shapes[(shape as any).value.shape], entry, parts);
          parts.push('</entry>');
        }
        parts.push(`</${name}>`);
        return;
      }
      case 'timestamp':
        parts.push(`<${name}>${formatTimestamp(value)}</${name}>`);
        return;
      case 'blob':
        parts.push(`<${name}>${Buffer.isBuffer(value) ? value.toString('base64') : escapeXml(String(value))}</${name}>`);
        return;
      default:
        parts.push(`<${name}>${escapeXml(String(value))}</${name}>`);
    }
  }
}
