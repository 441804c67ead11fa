import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { filterIndexAttributes, keys } from '../lib/store/table.js';

/**
 * The stack's data: the service CMK and the one DynamoDB table it encrypts. Both are created
 * directly in `scope` under the ids `Key` and `Table`, so their logical ids stay those already
 * deployed: a new logical id would make CloudFormation create a second table and orphan the
 * retained one.
 */
export class PorticoData {
  readonly key: Key;
  readonly table: TableV2;

  constructor(scope: Construct) {
    // The service CMK: wraps each tenant's data key (encryption context {tenantId}) and
    // encrypts the table at rest. Deleting it would shred every tenant: retained.
    this.key = new Key(scope, 'Key', {
      description: 'Portico: wraps per-tenant data keys and encrypts the table at rest',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = new TableV2(scope, 'Table', {
      partitionKey: { name: keys.pk, type: AttributeType.STRING },
      sortKey: { name: keys.sk, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.customerManagedKey(this.key),
      timeToLiveAttribute: keys.ttl,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Exactly as lib/store/table.ts creates them locally.
      globalSecondaryIndexes: [
        {
          indexName: keys.dueIndex,
          partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
          projectionType: ProjectionType.KEYS_ONLY,
        },
        {
          indexName: keys.listIndex,
          partitionKey: { name: 'gsi2pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi2sk', type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        },
        // The overloaded filter indexes (connections, audit, webhook deliveries by what they are filtered on).
        ...keys.filterIndexes.map((indexName, i) => ({
          indexName,
          partitionKey: { name: filterIndexAttributes[i][0], type: AttributeType.STRING },
          sortKey: { name: filterIndexAttributes[i][1], type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        })),
      ],
    });
  }

  /** The ARN of one of the table's indexes, for a grant naming exactly that index. */
  indexArn(name: string): string {
    return `${this.table.tableArn}/index/${name}`;
  }
}
