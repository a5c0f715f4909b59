// Password policy (docs/api.md#routes): at least 12 characters, not the username, not a
// common password. The bundled list is of passwords long enough to pass the
// length rule; shorter common ones already fail on length.

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

const COMMON_PASSWORDS = new Set(
  [
    'password1234',
    'password12345',
    'password123456',
    'passwordpassword',
    'password1234!',
    'Password1234',
    'Password123!',
    'Password1234!',
    'p@ssw0rd1234',
    'p@ssword1234',
    'passw0rd1234',
    '123456789012',
    '1234567890123',
    '12345678901234',
    '123456789abc',
    '1234567890ab',
    'qwertyuiop12',
    'qwertyuiopasdf',
    'qwerty123456',
    'qwerty1234567',
    'qwertyqwerty',
    '1q2w3e4r5t6y',
    '1qaz2wsx3edc',
    'zaq12wsxcde3',
    'asdfghjkl123',
    'asdfasdfasdf',
    'zxcvbnm12345',
    'iloveyou1234',
    'iloveyou123456',
    'letmein12345',
    'letmeinletmein',
    'welcome12345',
    'welcome123456',
    'Welcome12345',
    'welcomewelcome',
    'administrator',
    'administrator1',
    'Administrator1',
    'admin1234567',
    'adminadminadmin',
    'changeme1234',
    'changemenow1',
    'changeme12345',
    'trustno1trustno1',
    'football1234',
    'baseball1234',
    'superman1234',
    'batman123456',
    'starwars1234',
    'princess1234',
    'sunshine1234',
    'monkey123456',
    'dragon123456',
    'master123456',
    'shadow123456',
    'michael12345',
    'jennifer1234',
    'computer1234',
    'internet1234',
    'whatever1234',
    'abcdefghijkl',
    'abcdefgh1234',
    'abc123456789',
    'abcd12345678',
    'aaaaaaaaaaaa',
    '111111111111',
    '000000000000',
    '123123123123',
    '121212121212',
    '987654321098',
    '098765432109',
    'qazwsxedcrfv',
    'correcthorsebatterystaple',
    'summer2024!!',
    'winter2024!!',
    'spring2025!!',
    'autumn2025!!',
    'vulnzero1234',
    'vulnzeroadmin',
    'secret123456',
    'secretsecret',
    'mypassword12',
    'mypassword123',
    'letmein123456',
    'rootroot1234',
    'toortoortoor',
    'default12345',
    'guestguest12',
    'test12345678',
    'testtesttest',
    'testpassword',
    'passwordtest',
    'temp12345678',
    'temporary123',
    'hello1234567',
    'helloworld12',
    'helloworld123',
    'loveyou12345',
    'qwerty12345678',
    'password!!!!',
    'Passw0rd1234',
    'P@ssw0rd1234',
    'P@ssword1234',
    'Aa123456789!',
    'Qwerty123456',
    'Qwerty123456!',
    'Abcd12345678',
  ].map((p) => p.toLowerCase()),
);

export interface PasswordProblem {
  field: string;
  message: string;
}

function isTrivialPattern(password: string): boolean {
  // One repeated character, or a run of consecutive characters (abcdef…, 123456…).
  if (/^(.)\1+$/.test(password)) return true;
  let ascending = true;
  let descending = true;
  for (let i = 1; i < password.length; i += 1) {
    const step = password.charCodeAt(i) - password.charCodeAt(i - 1);
    if (step !== 1) ascending = false;
    if (step !== -1) descending = false;
  }
  return ascending || descending;
}

export function checkPassword(password: string, username: string, field = 'password'): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  if (password.length < MIN_PASSWORD_LENGTH) {
    problems.push({ field, message: `${field} must be at least ${MIN_PASSWORD_LENGTH} characters` });
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    problems.push({ field, message: `${field} must be at most ${MAX_PASSWORD_LENGTH} characters` });
  }
  const lower = password.toLowerCase();
  if (username && lower.includes(username.toLowerCase())) {
    problems.push({ field, message: `${field} must not contain the username` });
  }
  if (COMMON_PASSWORDS.has(lower) || isTrivialPattern(password)) {
    problems.push({ field, message: `${field} is too common` });
  }
  return problems;
}
