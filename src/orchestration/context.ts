/**
 * The orchestration context: the shared record of one transition while the engine runs it.
 *
 * It holds the initial state (the run's current state, or `null`), the proposed state (what
 * the client asked for; `null` means "write nothing"), the validated state (what was actually
 * written, or the existing current state), and the response being built (status and
 * details). Rules change the response only through their primitives; universal transforms
 * receive the real context and may change anything.
 *
 * Rule hooks get a {@link OrchestrationContext.safeCopy | safe copy} instead: a shallow copy
 * that protects state scalar fields and the parameters map while sharing `stateDetails`,
 * `data`, the run and the ports (spec §2.6). Several rules rely on exactly that sharing, e.g.
 * writing `proposed.stateDetails.scheduledTime` to change the real proposal.
 */
import type { JsonValue, Run, State, StateType } from "../domain/index.ts";
import { acceptDetails, type ResponseDetails, SetStateStatus } from "./outcome.ts";
import type { CoreDeps } from "./ports.ts";

/** Orchestration parameters: JSON values by name (reported back as a Struct). */
export type OrchestrationParameters = Record<string, JsonValue>;

/** What a context is built from. */
export interface OrchestrationContextInit<R, D> {
  readonly run: R;
  readonly deps: D;
  readonly initialState: State | null;
  readonly proposedState: State | null;
  /** Name of the policy that runs the transition (reported in responses). */
  readonly policyName?: string;
  readonly parameters?: OrchestrationParameters;
  /** Flow runs only: the client's version from its User-Agent. */
  readonly clientVersion?: string | null;
}

/**
 * The state of one orchestration. `R` is the run shape, `D` the ports rules may use.
 * Fields are public and mutable because the safe copy must be a plain shallow copy.
 */
export class OrchestrationContext<R = Run, D = CoreDeps> {
  /** The run; mutations persist with the transaction. */
  readonly run: R;
  /** Ports for rules (see ports.ts). */
  readonly deps: D;
  readonly policyName: string;
  readonly clientVersion: string | null;
  initialState: State | null;
  proposedState: State | null;
  validatedState: State | null = null;
  responseStatus: SetStateStatus = SetStateStatus.ACCEPT;
  responseDetails: ResponseDetails = acceptDetails();
  /** The error a rule's before-hook raised; rethrown once every exit has run. */
  orchestrationError: Error | null = null;
  parameters: OrchestrationParameters;
  /** Names of the rules and transforms whose before-hook ran, in order. */
  ruleSignature: string[] = [];
  /** Names of the rules and transforms whose after-hook ran, in order. */
  finalizationSignature: string[] = [];
  /** Names of the rules that fizzled and ran their cleanup hook, in order. */
  fizzledRules: string[] = [];

  constructor(init: OrchestrationContextInit<R, D>) {
    this.run = init.run;
    this.deps = init.deps;
    this.policyName = init.policyName ?? "";
    this.clientVersion = init.clientVersion ?? null;
    this.initialState = init.initialState;
    this.proposedState = init.proposedState;
    this.parameters = { ...init.parameters };
  }

  get initialStateType(): StateType | null {
    return this.initialState?.type ?? null;
  }

  get proposedStateType(): StateType | null {
    return this.proposedState?.type ?? null;
  }

  get validatedStateType(): StateType | null {
    return this.validatedState?.type ?? null;
  }

  /**
   * A shallow copy for rule hooks (spec §2.6): the context, each of the three states and the
   * parameters map are copied one level deep. Writing `type`, `name`, `message`, `timestamp`
   * of a state, or a parameter, on the copy leaves the real context alone; writing into
   * `stateDetails` or `data`, or into `run`, changes the real objects, which are shared.
   */
  safeCopy(): OrchestrationContext<R, D> {
    const copy: OrchestrationContext<R, D> = Object.assign(
      Object.create(Object.getPrototypeOf(this)) as OrchestrationContext<R, D>,
      this,
    );
    copy.initialState = shallowCopy(this.initialState);
    copy.proposedState = shallowCopy(this.proposedState);
    copy.validatedState = shallowCopy(this.validatedState);
    copy.parameters = { ...this.parameters };
    return copy;
  }
}

function shallowCopy(state: State | null): State | null {
  return state === null ? null : { ...state };
}
