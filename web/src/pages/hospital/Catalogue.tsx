// The de-identified catalogue the nodes publish (no identifiers: keyed study hashes, coarse months).
import { listOf, useApi } from "../../lib/useApi.ts";
import { ApiView } from "../../components/Status.tsx";
import { Table } from "../../components/Table.tsx";

interface CatalogueEntry {
  nodeId: string;
  studyKey: string;
  modality: string;
  bodyPart: string;
  studyMonth: string;
  labels: string[];
  seriesCount: number;
  instanceCount: number;
  rows: number;
  columns: number;
}

export default function CataloguePage() {
  const state = useApi<unknown>("/api/catalogue");
  return (
    <section aria-labelledby="cat-title">
      <h1 id="cat-title">Catalogue</h1>
      <ApiView state={state} what="catalogue" isEmpty={(d) => listOf(d).length === 0} empty="No node has published a catalogue yet.">
        {(data) => (
          <Table<CatalogueEntry>
            caption="Studies published by the edge nodes (de-identified)"
            rows={listOf<CatalogueEntry>(data)}
            rowKey={(e) => `${e.nodeId}/${e.studyKey}`}
            columns={[
              { key: "nodeId", header: "Node" },
              { key: "studyKey", header: "Study key", render: (e) => <code>{e.studyKey.slice(0, 12)}</code> },
              { key: "modality", header: "Modality" },
              { key: "bodyPart", header: "Body part" },
              { key: "studyMonth", header: "Month" },
              { key: "labels", header: "Labels" },
              { key: "instanceCount", header: "Instances" },
              { key: "size", header: "Size", render: (e) => `${e.columns}×${e.rows}` },
            ]}
          />
        )}
      </ApiView>
    </section>
  );
}
