import { parentPort, workerData } from 'node:worker_threads';
import { serveDynalite, type LocalDynamoDBOptions } from './local-dynamodb';

/** The worker thread that runs dynalite for the local control plane (see `inWorker`). */
void serveDynalite(workerData as LocalDynamoDBOptions).then((server) => {
  parentPort!.postMessage({ endpoint: server.endpoint });
  parentPort!.once('message', () => void server.close().then(() => parentPort!.postMessage({ closed: true })));
});
