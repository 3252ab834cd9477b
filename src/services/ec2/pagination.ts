/** MaxResults / NextToken paging of EC2 Describe calls: the token is an opaque offset into the filtered list. */
import { ec2Errors } from './errors.js';

export function paginate<T>(
  items: T[],
  input: { MaxResults?: number; NextToken?: string },
): { page: T[]; nextToken?: string } {
  let start = 0;
  if (input.NextToken) {
    const decoded = Buffer.from(input.NextToken, 'base64url').toString('utf8');
    const match = /^offset:(\d+)$/.exec(decoded);
    if (!match) throw ec2Errors.invalidNextToken(input.NextToken);
    start = Number(match[1]);
  }
  if (input.MaxResults === undefined) return { page: items.slice(start) };
  const end = start + input.MaxResults;
  return {
    page: items.slice(start, end),
    nextToken: end < items.length ? Buffer.from(`offset:${end}`).toString('base64url') : undefined,
  };
}
