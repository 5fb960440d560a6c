"""The generators of the project-made chart and document QA sets, one concept per module:
chart_specs, chart_questions, chart_rendering and charts (the ChartQA-layout set writer);
document_content, document_items, document_fonts, document_layouts, document_rendering and
documents (the DocVQA-layout set writer). Nothing is re-exported: callers import the module
that defines what they need (tasks/docqa/synthetic.py imports the two set writers)."""
