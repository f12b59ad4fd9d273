/** The explicit entity list MikroORM is configured with. */
import { FlowSchema } from "./flow.ts";

export { FlowEntity } from "./flow.ts";
export const entities = [FlowSchema];
