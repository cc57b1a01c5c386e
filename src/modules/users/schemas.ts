import { Type } from 'typebox';

/** The rule for usernames, shared by the API schema and the command line. */
export const USERNAME = /^[A-Za-z0-9_.-]{3,50}$/;

export const Username = Type.String({
  minLength: 3,
  maxLength: 50,
  pattern: '^[A-Za-z0-9_.-]+$',
  description: '3–50 letters, digits, _, . or -; unique ignoring case',
});
export const NewPassword = Type.String({ minLength: 8, maxLength: 128, description: '8–128 characters' });
// Logins accept any short string: telling a caller which rule a guess broke helps nobody.
const LoginField = Type.String({ minLength: 1, maxLength: 128 });

export const UserCreate = Type.Object({ username: Username, password: NewPassword }, { title: 'UserCreate' });
export const Credentials = Type.Object({ username: LoginField, password: LoginField }, { title: 'Credentials' });
export const PasswordChange = Type.Object(
  { current_password: LoginField, new_password: NewPassword },
  { title: 'PasswordChange' },
);
export const PasswordConfirm = Type.Object({ password: LoginField }, { title: 'PasswordConfirm' });

export const User = Type.Object(
  {
    id: Type.Integer(),
    username: Type.String(),
    role: Type.Unsafe<'user' | 'admin'>({ type: 'string', enum: ['user', 'admin'] }),
    created_at: Type.String({ format: 'date-time' }),
  },
  { title: 'User', description: 'A user' },
);
