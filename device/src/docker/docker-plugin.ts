import fp from 'fastify-plugin';
import { createDockerClient, type DockerClient } from './docker-client.js';

declare module 'fastify' {
  interface FastifyInstance {
    docker: DockerClient;
  }
}

/** Attaches the one Docker client of this process; tests may inject their own. */
export default fp<{ socketPath: string; client?: DockerClient }>(
  async (app, opts) => {
    app.decorate('docker', opts.client ?? createDockerClient(opts.socketPath));
  },
  { name: 'docker' },
);
