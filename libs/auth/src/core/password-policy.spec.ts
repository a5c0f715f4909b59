import { checkPassword } from './password-policy';

describe('password policy', () => {
  it.each<[string, string, string, string[]]>([
    ['accepts a long, uncommon password', 'correct-Horse-7-battery', 'alice', []],
    ['rejects one shorter than 12 characters', 'Sh0rt!pass', 'alice', ['password must be at least 12 characters']],
    ['rejects the username inside the password', 'xX-alice-2026-Xx', 'alice', ['password must not contain the username']],
    ['matches the username case-insensitively', 'ALICE-wonderland-9', 'alice', ['password must not contain the username']],
    ['rejects a common password', 'Password1234', 'bob', ['password is too common']],
    ['rejects a repeated character', 'aaaaaaaaaaaaaaa', 'bob', ['password is too common']],
    ['rejects a password from the bundled common list', '123456789abc', 'bob', ['password is too common']],
    ['rejects a longer sequential run', 'abcdefghijklmn', 'bob', ['password is too common']],
  ])('%s', (_name, password, username, messages) => {
    expect(checkPassword(password, username).map((p) => p.message)).toEqual(messages);
  });
});
