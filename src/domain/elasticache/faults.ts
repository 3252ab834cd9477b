/**
 * Shorthands for the modeled errors services throw. Names are model shape names; the wire code and HTTP
 * status are looked up in the model when the error is sent.
 */
import { ServiceFault } from '../../protocol/errors.js';

export const fault = (shapeName: string, message: string) => new ServiceFault(shapeName, message);

export const invalidValue = (message: string) => fault('InvalidParameterValueException', message);
export const invalidCombination = (message: string) => fault('InvalidParameterCombinationException', message);

/** AWS's answer to a required value that is missing or empty. */
export function requireValue<T>(
  value: T | undefined | null | '',
  name: string,
  wording: 'blank' | 'null' = 'blank',
): T {
  if (value === undefined || value === null || value === '') {
    throw invalidValue(`The parameter ${name} must be provided and must not be ${wording}.`);
  }
  return value;
}
