import { messagingContract } from './messaging.contract.ts';
import { amqpMessagingHarness, memoryMessagingHarness } from './messaging.harness.ts';

messagingContract('in-memory', memoryMessagingHarness);
messagingContract('amqp', amqpMessagingHarness);
