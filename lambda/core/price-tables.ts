import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { priceTableVersion, type PriceTable } from './pricing';
import type { Tables } from './tables';

/**
 * The price tables usage windows are priced with, in the state table: `PRICES#<version>` / `PRICES`
 * (key design in lib/contract/tables.ts), where the version is a digest of the table's content. A
 * table is written once, when a window is first recorded under it, and never changed: a window
 * names its version, so last month's bill does not move when the configuration's prices do.
 */

const priceKey = (version: string) => ({ pk: `PRICES#${version}`, sk: 'PRICES' });

/** Tables this process wrote or read, by state table and version: they never change, so each is written or read once. */
const known = new Map<string, Promise<PriceTable | undefined>>();

function remembered(tables: Tables, version: string, load: () => Promise<PriceTable | undefined>): Promise<PriceTable | undefined> {
  const key = `${tables.stateTable}#${version}`;
  let entry = known.get(key);
  if (!entry) {
    entry = load();
    known.set(key, entry);
    // What failed, or was not there, is asked again next time.
    entry.then((table) => void (table ?? known.delete(key)), () => known.delete(key));
  }
  return entry;
}

/** Keeps `prices` as the table of its version and returns that version. */
export async function recordPriceTable(tables: Tables, prices: PriceTable): Promise<string> {
  const version = priceTableVersion(prices);
  await remembered(tables, version, async () => {
    try {
      await tables.doc.send(
        new PutCommand({
          TableName: tables.stateTable,
          Item: { ...priceKey(version), itemType: 'price-table', version, prices },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error; // kept before: the same content
    }
    return structuredClone(prices); // kept as it was, whatever later becomes of the caller's object
  });
  return version;
}

/** The price tables of `versions`, by version. */
export async function priceTables(tables: Tables, versions: Iterable<string>): Promise<Map<string, PriceTable>> {
  const found = new Map<string, PriceTable>();
  for (const version of new Set(versions)) {
    const table = await remembered(tables, version, async () => {
      const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: priceKey(version) }));
      return Item?.prices as PriceTable | undefined;
    });
    if (!table) throw new Error(`Price table ${version} is missing, though a usage window names it`);
    found.set(version, table);
  }
  return found;
}
