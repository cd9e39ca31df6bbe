"""What the attendance officer's pages read, one module per question: the dashboard
(`dashboard`) and its worklist of proposals, one row per pupil (`worklist`), a pupil's figures
on a date and school weeks (`figures`), the cases list and a case's record (`cases`), a notice to
improve's figures (`notices_to_improve`) and the sessions a penalty notice may rely on
(`penalty_notices`)."""
