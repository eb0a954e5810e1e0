/**
 * What `GET /readyz` reports: ready once the configuration was valid and the
 * TLS pair loaded (the server listens only after both), not ready again from
 * the moment shutdown begins, so that the Service stops sending new
 * admissions while the in-flight ones finish.
 */
export type ReadinessState = 'starting' | 'ready' | 'shutting-down';

export class Readiness {
  #state: ReadinessState = 'starting';

  get state(): ReadinessState {
    return this.#state;
  }

  get ready(): boolean {
    return this.#state === 'ready';
  }

  markReady(): void {
    if (this.#state === 'starting') this.#state = 'ready';
  }

  markShuttingDown(): void {
    this.#state = 'shutting-down';
  }
}
