/** STS and IAM on the same endpoint: who the caller is, by the access key's account. */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import t from 'tap';
import { CREDENTIALS, rawCall, startTestEmulator } from '../fixtures/emulator.js';

t.test('STS GetCallerIdentity and IAM GetUser answer with the account of the access key', async (t) => {
  const emulator = await startTestEmulator(t);
  const sts = new STSClient({ endpoint: emulator.url, region: 'us-east-1', credentials: CREDENTIALS });
  const me = await sts.send(new GetCallerIdentityCommand({}));
  t.equal(me.Account, '000000000000', 'a non-numeric key maps to the default account');
  t.equal(me.Arn, 'arn:aws:iam::000000000000:root');
  const other = new STSClient({
    endpoint: emulator.url,
    region: 'eu-west-1',
    credentials: { ...CREDENTIALS, accessKeyId: '123456789012' },
  });
  t.equal(
    (await other.send(new GetCallerIdentityCommand({}))).Account,
    '123456789012',
    'a 12-digit key is its account',
  );

  const iam = new IAMClient({ endpoint: emulator.url, region: 'us-east-1', credentials: CREDENTIALS });
  const user = await iam.send(new GetUserCommand({}));
  t.equal(user.User?.Arn, 'arn:aws:iam::000000000000:root');
  t.equal(user.User?.UserName, 'root');
  const missing = await iam.send(new GetUserCommand({ UserName: 'alice' })).catch((e) => e);
  t.equal(missing.name, 'NoSuchEntityException');

  const unsigned = await rawCall(emulator, { Action: 'GetCallerIdentity', Version: '2011-06-15' });
  t.equal(unsigned.status, 200, 'an unsigned request is routed by its API version');
  t.match(unsigned.body, /<GetCallerIdentityResponse[^>]*><GetCallerIdentityResult><UserId>000000000000<\/UserId>/);
});
