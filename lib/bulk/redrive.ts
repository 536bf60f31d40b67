/**
 * Moves dead-lettered bulk messages back to the work queue (SQS `StartMessageMoveTask`). Safe at any
 * time: an item whose outcome is recorded is acknowledged without running again.
 */
import { GetQueueAttributesCommand, type SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';

export async function redriveDeadLetters(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
): Promise<{ taskHandle?: string; messages: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: deadLetterQueueUrl,
      AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'],
    }),
  );
  const messages = Number(Attributes.ApproximateNumberOfMessages ?? 0);
  if (messages === 0) return { messages };
  // Without a destination, SQS returns each message to the queue it was dead-lettered from.
  const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: Attributes.QueueArn }));
  return { ...(TaskHandle ? { taskHandle: TaskHandle } : {}), messages };
}
