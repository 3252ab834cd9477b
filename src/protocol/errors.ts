/**
 * The three error families that can reach a client.
 * - ServiceFault: a modeled error, named by its model shape; its wire code and HTTP status come from the model
 *   when it is serialized (ElastiCache's codes are irregular: CacheClusterNotFound but ReplicationGroupNotFoundFault).
 * - AwsError: an error whose wire code is fixed by the protocol itself (MissingAction, InvalidParameterValue, ...).
 * - anything else is a bug: it becomes InternalFailure, logged with its stack.
 */

export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.name = code;
  }
}

export class ServiceFault extends Error {
  constructor(
    readonly shapeName: string,
    message: string,
  ) {
    super(message);
    this.name = shapeName;
  }
}

/** AWS Query common errors (the "Common Errors" page of every Query API reference). */
export const commonErrors = {
  missingAction: () => new AwsError('MissingAction', 'The request must contain the parameter Action.'),
  invalidAction: (action: string) =>
    new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`),
  notImplemented: (action: string, service: string) =>
    new AwsError('InvalidAction', `The action ${action} of ${service} is not implemented by elasticache-local yet.`),
  malformedQueryString: (detail: string) => new AwsError('MalformedQueryString', detail, 404),
  invalidParameterValue: (message: string) => new AwsError('InvalidParameterValue', message),
  missingParameter: (name: string) =>
    new AwsError('InvalidParameterValue', `The parameter ${name} must be provided and must not be blank.`),
  invalidClientTokenId: () =>
    new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403),
  internalFailure: () =>
    new AwsError('InternalFailure', 'The request processing has failed because of an unknown error.', 500, 'Receiver'),
};
