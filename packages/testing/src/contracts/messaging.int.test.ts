import { amqpMessagingHarness, memoryMessagingHarness } from './messaging.harness.ts';
import { messagingContract } from './messaging.contract.ts';

messagingContract('in-memory', memoryMessagingHarness);
messagingContract('amqp', amqpMessagingHarness);
