import { KAFKA } from '../suites/fidelity.js';
import { describeInspection } from '../suites/inspection.js';

describeInspection(KAFKA);
