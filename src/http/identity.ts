/**
 * Who is calling and where: read from the SigV4 credential scope (Authorization header, or X-Amz-Credential of
 * a presigned request). Signatures are not verified here: by default a local emulator accepts any credentials, as
 * LocalStack does; `--auth strict` verifies them first (request-signatures.ts).
 */

export const DEFAULT_ACCOUNT = '000000000000';
export const DEFAULT_REGION = 'us-east-1';

export interface Identity {
  accessKeyId?: string;
  account: string;
  region: string;
  /** The signing service of the credential scope (elasticache, ec2, sts, ...), when the request was signed. */
  service?: string;
}

const CREDENTIAL_IN_HEADER = /Credential=([^,\s]+)/;

export function identify(authorization: string | undefined, credentialParam: string | undefined): Identity {
  const credential = (authorization && CREDENTIAL_IN_HEADER.exec(authorization)?.[1]) || credentialParam;
  if (!credential) return { account: DEFAULT_ACCOUNT, region: DEFAULT_REGION };
  // <AccessKeyId>/<yyyymmdd>/<region>/<service>/aws4_request
  const [accessKeyId, , region, service] = credential.split('/');
  return {
    accessKeyId,
    account: /^\d{12}$/.test(accessKeyId ?? '') ? accessKeyId : DEFAULT_ACCOUNT,
    region: region && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(region) ? region : DEFAULT_REGION,
    service: service || undefined,
  };
}
