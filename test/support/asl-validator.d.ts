declare module 'asl-validator' {
  function validator(definition: object, options?: object): { isValid: boolean; errors: { 'Error code': string; Message: string }[]; errorsText(separator?: string): string };
  export = validator;
}
