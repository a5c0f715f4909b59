/** One invalid input field, named by its path in the request body (`rollback[1]`). */
export interface FieldProblem {
  field: string;
  message: string;
}
