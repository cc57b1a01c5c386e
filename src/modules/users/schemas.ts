import { type Static, Type } from 'typebox';
import { Check } from 'typebox/value';
import { ROLES, type Role } from '../../domain/enums.js';
import { Nullable } from '../../http/schemas.js';

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

/** An email address: for account recovery only, unique ignoring case, never shown to other members. */
export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254, description: 'An email address for account recovery (optional); seen only by you and administrators' });

export const UserCreate = Type.Object({ username: Username, password: NewPassword, email: Type.Optional(Nullable(Email)) }, { title: 'UserCreate' });

/** An account as the server knows it: who, with what role, since when. */
export interface Account {
  id: number;
  username: string;
  role: Role;
  created_at: string;
}

const DisplayName = Nullable(Type.String({ maxLength: 100, description: 'Up to 100 characters, trimmed; empty or null clears it' }));
const Bio = Nullable(Type.String({ maxLength: 2000, description: 'Up to 2000 characters, trimmed; empty or null clears it' }));

export const User = Type.Object(
  {
    id: Type.Integer(),
    username: Type.String(),
    role: Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] }),
    created_at: Type.String({ format: 'date-time' }),
    display_name: Nullable(Type.String({ description: 'The name shown beside the username, or null' })),
    bio: Nullable(Type.String()),
    avatar_url: Nullable(Type.String({ description: 'Versioned avatar URL (add &w=64, 128 or 256), or null' })),
    review_count: Type.Integer({ description: 'Reviews written' }),
    rating_count: Type.Integer({ description: 'Movies rated, with or without a review' }),
    diary_count: Type.Integer({ description: 'Diary entries' }),
    follower_count: Type.Integer({ description: 'Members who follow this one' }),
    following_count: Type.Integer({ description: 'Members this one follows' }),
    email: Type.Optional(Type.String({ description: 'The email, when there is one, only in answers to the member themselves and to administrators' })),
  },
  { title: 'User', description: 'A member and their public profile' },
);
export type User = Static<typeof User>;

export const ProfilePatch = Type.Object(
  {
    display_name: Type.Optional(DisplayName),
    bio: Type.Optional(Bio),
    email: Type.Optional(Nullable(Email)),
    password: Type.Optional(Type.String({ maxLength: 128, description: 'Your password: needed to change `email`' })),
  },
  { title: 'ProfilePatch', description: 'Only the fields sent change; changing the email needs the password.' },
);
export type ProfileChanges = { display_name?: string | null; bio?: string | null; email?: string | null };

export const UsernameParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 50, description: 'A username, any case' }) });
