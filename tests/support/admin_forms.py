"""Read an admin form the way a browser would, so tests can change a field and submit it."""

from bs4 import BeautifulSoup


def form_data(response, form_id="issue_form"):
    """The fields a browser would submit from the form, as a dict."""
    soup = BeautifulSoup(response.content, "html.parser")
    form = soup.find("form", id=form_id)
    assert form is not None, f"no form #{form_id} on the page"
    data = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name or "__prefix__" in name:
            continue
        if field.name == "textarea":
            # Browsers drop the newline that follows <textarea>.
            text = field.get_text()
            data[name] = text[1:] if text.startswith("\n") else text
        elif field.name == "select":
            selected = field.find("option", selected=True) or field.find("option")
            data[name] = selected.get("value", "") if selected else ""
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.get("type") not in ("submit", "button", "file"):
            data[name] = field.get("value", "")
    return data


def add_item(data, section_index, *, title, body="", position=99):
    """Add a new item form to a section's nested formset in submitted data."""
    prefix = f"sections-{section_index}-items"
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    data.update(
        {
            f"{prefix}-{index}-title": title,
            f"{prefix}-{index}-body": body,
            f"{prefix}-{index}-position": str(position),
        }
    )
    return data
