/**
 * STS GetCallerIdentity: who the credentials are. Tools ask it first (Terraform validates its credentials and
 * learns the account id with it); the answer is the account the access key maps to, as its root.
 */
import type { GetCallerIdentityResponse } from '@aws-sdk/client-sts';
import type { QueryApi } from '../../api/query-api.js';
import { findModelsDir, loadServiceModel } from '../../protocol/model.js';
import type { RequestContext } from '../../api/query-api.js';

export function stsApi(): QueryApi {
  return {
    signingName: 'sts',
    title: 'AWS Security Token Service',
    model: loadServiceModel(findModelsDir(import.meta.url), 'sts', '2011-06-15'),
    handlers: {
      GetCallerIdentity: (_input: unknown, ctx: RequestContext): GetCallerIdentityResponse => ({
        UserId: ctx.account,
        Account: ctx.account,
        Arn: `arn:${ctx.partition}:iam::${ctx.account}:root`,
      }),
    },
    usesStore: false,
  };
}
