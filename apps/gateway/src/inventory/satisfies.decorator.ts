import { registerDecorator, ValidationArguments } from 'class-validator';

type Rule = (value: unknown) => string | string[] | null;

function problemsOf(rule: Rule, value: unknown): string[] {
  const result = rule(value);
  return result === null ? [] : Array.isArray(result) ? result : [result];
}

/**
 * Applies one of the inventory's core rules (address, labels, host key, …) as a
 * class-validator constraint, so a DTO and the service check the same thing.
 * The rule's wording becomes the message; rules never quote secret values.
 */
export function Satisfies(rule: Rule): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      name: `satisfies_${rule.name}`,
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => problemsOf(rule, value).length === 0,
        defaultMessage: (args: ValidationArguments) => problemsOf(rule, args.value).join('; '),
      },
    });
  };
}
