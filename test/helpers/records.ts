/** The classic recipe's client body for the attrition model, as clients send it. */
export const HR_RECORD = {
  satisfaction_level: 0.38,
  last_evaluation: 0.53,
  number_project: 2,
  average_montly_hours: 157,
  time_spend_company: 3,
  Work_accident: 0,
  promotion_last_5years: 0,
  sales: "sales",
  salary: "low",
};
