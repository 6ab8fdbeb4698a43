// The built-in viewer (cornerstone3D): a grant's images over our DICOMweb endpoint, or local DICOM
// files; window/level, zoom, pan, scroll, length and rectangle tools, labels, and annotations saved
// back to the owning hospital through POST /api/grants/:id/annotations.
import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from "react";
import { useParams } from "react-router";
import { Enums as CoreEnums, utilities as coreUtils, type Types } from "@cornerstonejs/core";
import { annotation as toolAnnotations, LengthTool, RectangleROITool } from "@cornerstonejs/tools";
import { api } from "../../lib/api.ts";
import { createStackViewer, wadouri, type StackViewer, type ToolKey } from "../../lib/cornerstone.ts";
import { loadGrantImages, type GrantImage } from "../../lib/dicomweb.ts";
import { ErrorBox, Loading } from "../../components/Status.tsx";

const TOOL_BUTTONS: { key: ToolKey; label: string; shortcut: string }[] = [
  { key: "windowLevel", label: "Window/level", shortcut: "w" },
  { key: "zoom", label: "Zoom", shortcut: "z" },
  { key: "pan", label: "Pan", shortcut: "p" },
  { key: "length", label: "Length", shortcut: "l" },
  { key: "rectangle", label: "Rectangle ROI", shortcut: "r" },
];

type Point = [number, number];
interface Region { kind: "rect"; points: Point[] }
interface Measurement { kind: "length" | "area"; value: number; unit: string }

interface ToolAnnotation {
  metadata: { referencedImageId?: string; toolName: string };
  data: { handles: { points: Types.Point3[] }; cachedStats?: Record<string, Record<string, unknown>> };
}

/** The drawn tools on `imageId`, in image pixel coordinates, in the shape the edge nodes store. */
function collectAnnotations(imageId: string): { regions: Region[]; measurements: Measurement[] } {
  const regions: Region[] = [];
  const measurements: Measurement[] = [];
  const all = (toolAnnotations.state.getAllAnnotations() as unknown as ToolAnnotation[])
    .filter((a) => a.metadata.referencedImageId === imageId);
  const toImage = (p: Types.Point3): Point => {
    const [x, y] = coreUtils.worldToImageCoords(imageId, p) ?? [0, 0];
    return [Math.round(x * 100) / 100, Math.round(y * 100) / 100];
  };
  for (const a of all) {
    const stats = Object.values(a.data.cachedStats ?? {})[0] ?? {};
    if (a.metadata.toolName === LengthTool.toolName) {
      const length = Number(stats.length);
      if (Number.isFinite(length)) measurements.push({ kind: "length", value: length, unit: String(stats.unit ?? "mm") });
    } else if (a.metadata.toolName === RectangleROITool.toolName) {
      const points = a.data.handles.points.map(toImage);
      const xs = points.map((p) => p[0]);
      const ys = points.map((p) => p[1]);
      regions.push({ kind: "rect", points: [[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]] });
      const area = Number(stats.area);
      if (Number.isFinite(area)) measurements.push({ kind: "area", value: area, unit: String(stats.areaUnit ?? "mm²") });
    }
  }
  return { regions, measurements };
}

export default function ViewerPage() {
  // /viewer/local has no :grantId parameter: it opens files from this computer.
  const { grantId = "local" } = useParams();
  const local = grantId === "local";
  const element = useRef<HTMLDivElement>(null);
  const viewer = useRef<StackViewer>(null);
  const [images, setImages] = useState<GrantImage[] | null>(local ? [] : null);
  const [error, setError] = useState<unknown>();
  const [index, setIndex] = useState(0);
  const [tool, setTool] = useState<ToolKey>("windowLevel");
  const [labels, setLabels] = useState<string[]>([]);
  const [labelDraft, setLabelDraft] = useState("");
  const [notice, setNotice] = useState("");
  const [saveError, setSaveError] = useState<unknown>();
  const [rendered, setRendered] = useState(false);

  useEffect(() => {
    if (local) return;
    loadGrantImages(grantId).then(setImages).catch(setError);
  }, [grantId, local]);

  const show = useCallback(async (list: GrantImage[]) => {
    if (!element.current || list.length === 0) return;
    viewer.current?.destroy();
    setRendered(false);
    try {
      const created = await createStackViewer(element.current, list.map((i) => i.imageId));
      viewer.current = created;
      const el = element.current;
      el.addEventListener(CoreEnums.Events.STACK_NEW_IMAGE, () => setIndex(created.viewport.getCurrentImageIdIndex()));
      el.addEventListener(CoreEnums.Events.IMAGE_RENDERED, () => setRendered(true));
      setIndex(0);
    } catch (err) {
      setError(err);
    }
  }, []);

  useEffect(() => {
    if (images && images.length > 0) void show(images);
  }, [images, show]);
  useEffect(() => () => viewer.current?.destroy(), []);

  function chooseTool(key: ToolKey) {
    setTool(key);
    viewer.current?.setPrimaryTool(key);
  }

  function scroll(delta: number) {
    const v = viewer.current?.viewport;
    if (!v || !images) return;
    const next = Math.min(images.length - 1, Math.max(0, v.getCurrentImageIdIndex() + delta));
    void v.setImageIdIndex(next);
  }

  function onKey(event: KeyboardEvent) {
    if (event.key === "ArrowDown" || event.key === "PageDown") { scroll(1); event.preventDefault(); }
    else if (event.key === "ArrowUp" || event.key === "PageUp") { scroll(-1); event.preventDefault(); }
    else if (event.key === "0") { viewer.current?.viewport.resetCamera(); viewer.current?.viewport.render(); }
    else {
      const button = TOOL_BUTTONS.find((b) => b.shortcut === event.key.toLowerCase());
      if (button) chooseTool(button.key);
    }
  }

  function openFiles(files: FileList | null) {
    if (!files || files.length === 0) return;
    const list = [...files].map((file) => {
      const imageId = wadouri.fileManager.add(file);
      return { imageId, studyUid: "", seriesUid: "", sopInstanceUid: file.name, frame: 1 };
    });
    setError(undefined);
    setImages(list);
  }

  function addLabel() {
    const label = labelDraft.trim();
    if (label && !labels.includes(label)) setLabels([...labels, label]);
    setLabelDraft("");
  }

  async function save() {
    setNotice("");
    setSaveError(undefined);
    const current = images?.[index];
    if (!current) return;
    const { regions, measurements } = collectAnnotations(current.imageId);
    if (labels.length === 0 && regions.length === 0 && measurements.length === 0) {
      setSaveError(new Error("Nothing to save: add a label or draw a length or rectangle first."));
      return;
    }
    try {
      const saved = await api<{ id?: string }>(`/api/grants/${encodeURIComponent(grantId)}/annotations`, {
        json: { sopInstanceUid: current.sopInstanceUid, labels, regions, measurements },
      });
      setNotice(`Annotation saved${saved?.id ? ` (${saved.id})` : ""} and sent to the hospital that holds this image.`);
    } catch (err) {
      setSaveError(err);
    }
  }

  return (
    <section aria-labelledby="viewer-title" className="viewer-page">
      <h1 id="viewer-title">{local ? "Viewer — local files" : `Viewer — grant ${grantId}`}</h1>
      {local && (
        <p>
          <label htmlFor="viewer-files">Open DICOM files from this computer (they stay in the browser)</label>{" "}
          <input id="viewer-files" type="file" multiple accept=".dcm,application/dicom" onChange={(e) => openFiles(e.target.files)} />
        </p>
      )}
      {error !== undefined && <ErrorBox error={error} action="Loading the images" />}
      {!local && images === null && !error && <Loading what="the grant's images" />}
      {images && images.length === 0 && !local && <p className="status empty">This grant holds no image.</p>}
      <div className="toolbar" role="toolbar" aria-label="Viewer tools">
        {TOOL_BUTTONS.map((b) => (
          <button key={b.key} type="button" aria-pressed={tool === b.key} className={tool === b.key ? "active" : "secondary"}
            onClick={() => chooseTool(b.key)} aria-keyshortcuts={b.shortcut} title={`${b.label} (${b.shortcut.toUpperCase()})`}>
            {b.label}
          </button>
        ))}
        <button type="button" className="secondary" onClick={() => scroll(-1)} aria-label="Previous image">▲</button>
        <button type="button" className="secondary" onClick={() => scroll(1)} aria-label="Next image">▼</button>
        <span className="muted" aria-live="polite" data-testid="viewer-position">
          {images && images.length > 0 ? `Image ${index + 1} of ${images.length}` : "No image loaded"}
        </span>
      </div>
      <div
        ref={element}
        className="viewport"
        tabIndex={0}
        role="application"
        aria-label="Image viewport. Arrow keys scroll through images; W, Z, P, L and R choose a tool; 0 resets the view. Right drag zooms, middle drag pans."
        data-rendered={rendered ? "yes" : "no"}
        onKeyDown={onKey}
        onContextMenu={(e) => e.preventDefault()}
      />
      {!local && (
        <div className="card annotate">
          <h2>Annotate this image</h2>
          <div className="row">
            <label htmlFor="label-input">Label</label>
            <input id="label-input" value={labelDraft} onChange={(e) => setLabelDraft(e.target.value)}
              onKeyDown={(e) => { if (e.key === "Enter") { e.preventDefault(); addLabel(); } }} />
            <button type="button" className="secondary" onClick={addLabel}>Add label</button>
          </div>
          <ul className="chips" aria-label="Labels on this image">
            {labels.map((l) => (
              <li key={l}>{l} <button type="button" className="link" aria-label={`Remove label ${l}`} onClick={() => setLabels(labels.filter((x) => x !== l))}>×</button></li>
            ))}
          </ul>
          <button type="button" onClick={() => void save()}>Save annotation</button>
          <div aria-live="polite">
            {notice && <p className="status ok" role="status">{notice}</p>}
            {saveError !== undefined && <ErrorBox error={saveError} action="Saving the annotation" />}
          </div>
        </div>
      )}
    </section>
  );
}
