/**
 * IAM GetUser without a user name: the caller. Terraform asks it for the account id when credential validation
 * is skipped; the caller is the account's root.
 */
import type { GetUserResponse } from '@aws-sdk/client-iam';
import type { QueryApi } from '../../api/query-api.js';
import { AwsError } from '../../protocol/errors.js';
import { findModelsDir, loadServiceModel } from '../../protocol/model.js';
import type { RequestContext } from '../../api/query-api.js';

/** When the emulator first answered: the root user's CreateDate, stable for a run. */
const STARTED = new Date();

export function iamApi(): QueryApi {
  return {
    signingName: 'iam',
    title: 'AWS Identity and Access Management',
    model: loadServiceModel(findModelsDir(import.meta.url), 'iam', '2010-05-08'),
    handlers: {
      GetUser: (input: { UserName?: string }, ctx: RequestContext): GetUserResponse => {
        if (input.UserName !== undefined && input.UserName !== 'root') {
          throw new AwsError('NoSuchEntity', `The user with name ${input.UserName} cannot be found.`, 404);
        }
        return {
          User: {
            Path: '/',
            UserName: 'root',
            UserId: ctx.account,
            Arn: `arn:${ctx.partition}:iam::${ctx.account}:root`,
            CreateDate: STARTED,
          },
        };
      },
    },
    usesStore: false,
  };
}
