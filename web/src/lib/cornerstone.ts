// cornerstone3D set-up, done once: core, the DICOM image loader (its WADO-RS loader sends our
// bearer token on every request), and the tools the viewer offers.
import { init as coreInit, RenderingEngine, Enums as CoreEnums, type Types } from "@cornerstonejs/core";
import { init as loaderInit, wadors, wadouri } from "@cornerstonejs/dicom-image-loader";
import {
  init as toolsInit, addTool, ToolGroupManager, Enums as ToolEnums,
  WindowLevelTool, ZoomTool, PanTool, StackScrollTool, LengthTool, RectangleROITool,
} from "@cornerstonejs/tools";
import { authHeaders } from "./api.ts";

let ready: Promise<void> | undefined;

export function initCornerstone(): Promise<void> {
  ready ??= (async () => {
    coreInit();
    loaderInit({
      maxWebWorkers: 1,
      beforeSend: () => ({ ...authHeaders() }),
    });
    toolsInit();
    for (const tool of [WindowLevelTool, ZoomTool, PanTool, StackScrollTool, LengthTool, RectangleROITool]) addTool(tool);
  })();
  return ready;
}

export const TOOLS = {
  windowLevel: WindowLevelTool.toolName,
  zoom: ZoomTool.toolName,
  pan: PanTool.toolName,
  length: LengthTool.toolName,
  rectangle: RectangleROITool.toolName,
} as const;
export type ToolKey = keyof typeof TOOLS;

export interface StackViewer {
  viewport: Types.IStackViewport;
  setPrimaryTool(tool: ToolKey): void;
  destroy(): void;
}

let counter = 0;

/** A stack viewport in `element` with W/L, zoom, pan and scroll bound to the mouse. */
export async function createStackViewer(element: HTMLDivElement, imageIds: string[]): Promise<StackViewer> {
  await initCornerstone();
  const id = ++counter;
  const engine = new RenderingEngine(`medtrace-engine-${id}`);
  const viewportId = `medtrace-stack-${id}`;
  engine.enableElement({ viewportId, type: CoreEnums.ViewportType.STACK, element });
  const viewport = engine.getViewport(viewportId) as Types.IStackViewport;
  const group = ToolGroupManager.createToolGroup(`medtrace-tools-${id}`)!;
  for (const name of Object.values(TOOLS)) group.addTool(name);
  group.addTool(StackScrollTool.toolName);
  group.addViewport(viewportId, engine.id);
  const { MouseBindings } = ToolEnums;
  group.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
  group.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
  group.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: MouseBindings.Wheel }] });
  let primary: string = WindowLevelTool.toolName;
  group.setToolActive(primary, { bindings: [{ mouseButton: MouseBindings.Primary }] });
  await viewport.setStack(imageIds, 0);
  viewport.render();
  return {
    viewport,
    setPrimaryTool(tool) {
      const name = TOOLS[tool];
      if (name === primary) return;
      // Zoom and pan keep their own buttons; only the left button moves between tools.
      if (primary === ZoomTool.toolName) group.setToolActive(primary, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
      else if (primary === PanTool.toolName) group.setToolActive(primary, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
      else group.setToolPassive(primary);
      group.setToolActive(name, { bindings: [{ mouseButton: MouseBindings.Primary }] });
      primary = name;
    },
    destroy() {
      ToolGroupManager.destroyToolGroup(group.id);
      engine.destroy();
    },
  };
}

export { wadors, wadouri };
