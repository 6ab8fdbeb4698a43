export interface Command {
  name: string;
  usage: string[];
  run(argv: string[]): Promise<number>;
}
