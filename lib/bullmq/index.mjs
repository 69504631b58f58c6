// ESM entry of threadkit/bullmq: the same objects as the CommonJS entry.
import bullmq from './index.js';

export const { serve, RemotePool, JobLostError } = bullmq;
export default bullmq;
