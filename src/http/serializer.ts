import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type Serializer = (data: unknown) => string;

/**
 * Fastify's own response serializers (fast-json-stringify, from the response schemas), each
 * built on its first use instead of at start-up: building them all took about 80 ms of the cold
 * start (`node --cpu-prof`), for answers most routes do not give in a process's first second.
 */
export const lazySerializers: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildSerializer: (externalSchemas: unknown, options: unknown) => {
      const compile = SerializerSelector()(externalSchemas, options as never);
      return (route: Parameters<typeof compile>[0]): Serializer => {
        let serialize: Serializer | undefined;
        return (data) => (serialize ??= compile(route))(data);
      };
    },
  },
};
