import { type Static, Type } from 'typebox';
import { Check } from 'typebox/value';
import { ROLES, type Role } from '../../domain/enums.js';

/** The rule for usernames: the schema that checks the API's requests, and `isUsername` for the command line. */
export const Username = Type.String({
  minLength: 3,
  maxLength: 50,
  pattern: '^[A-Za-z0-9_.-]+$',
  description: '3–50 letters, digits, _, . or -; unique ignoring case',
});
export const isUsername = (value: string): boolean => Check(Username, value);

/** The rule for new passwords, for the API and the command line alike. */
export const NewPassword = Type.String({ minLength: 8, maxLength: 128, description: '8–128 characters' });
export const isNewPassword = (value: string): boolean => Check(NewPassword, value);

export const UserCreate = Type.Object({ username: Username, password: NewPassword }, { title: 'UserCreate' });

export const User = Type.Object(
  {
    id: Type.Integer(),
    username: Type.String(),
    role: Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] }),
    created_at: Type.String({ format: 'date-time' }),
  },
  { title: 'User', description: 'A user' },
);
export type User = Static<typeof User>;
